"""Glossary: the words the other pages use, in plain words; each term has its own anchor
(/glossary#elbo), so a page can link to the one it uses."""
import streamlit as st

from ui.forms.glossary import TERMS

st.title("Glossary")
st.caption("The words the other pages use. A run's own numbers are on its pages; this page "
           "only says what the words mean.")
for term in TERMS:
    st.subheader(term.name, anchor=term.anchor)
    st.markdown(term.says)
