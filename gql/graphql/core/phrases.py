"""Descriptions that many places of the schema share word for word: paging arguments, connections, payloads."""

PAGE_FIRST = "Page size, 1 to 100."
PAGE_AFTER = "Cursor after which the page starts: the endCursor of the previous page; null for the first page."
PAGE_LAST = "Page size when paging backward, 1 to 100: the last items (before `before`); not with first or after."
PAGE_BEFORE = "Cursor before which a backward page ends: the startCursor of the page after it; null for the last page."

EDGES = "The items of this page with their cursors."
NODES = "The items of this page (the edges' nodes), for a client that needs no cursor per item."
PAGE_INFO = "Where this page sits in the whole list."
TOTAL_COUNT = "Number of items in the whole list, all pages."
CURSOR = "Opaque cursor of this item, for after."
NODE = "The item."

MUTATION_INPUT = "What to do; see the input type's fields."
USER_ERRORS = "Expected failures; when not empty, nothing was changed and the other fields are null."
