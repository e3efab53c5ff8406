"""What pages fill in and read out, kept apart from their layout: the Train form's checks and help,
and the sentences, tables and choices (which runs tell a story) that depend on numbers."""
