"""Sections of the longer pages, drawn with st.* calls: one module per page, one function per
section, so a page reads as the list of its sections. The logic they show lives elsewhere: pure
words and choices in ui.forms, figures in ui.figures, cached numbers in ui.cache."""
