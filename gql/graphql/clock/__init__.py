"""The sandbox test clock: advanceTestClock."""
