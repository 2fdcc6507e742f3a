"""Previews and plans (docs/rules.md section 13): the ChangePreview of a dry run and its plan token."""
