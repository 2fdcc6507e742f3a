"""One run of the clock over every organization, and the sandbox test clock."""
