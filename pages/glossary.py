"""Glossary: the words the other pages use, in plain words. Each term has its own anchor
(/glossary#elbo), and a page links to the one it uses as /glossary?term=elbo, which shows that
term first."""
import streamlit as st

from ui.forms.glossary import BY_ANCHOR, TERMS

st.title("Glossary")
st.caption("The words the other pages use. A run's own numbers are on its pages; this page "
           "only says what the words mean.")
asked = BY_ANCHOR.get(st.query_params.get("term", ""))
if asked is not None:  # followed from a page's "Words on this page"
    with st.container(border=True):
        st.markdown(f"**{asked.name}**")
        st.markdown(asked.says)
for term in TERMS:
    st.subheader(term.name, anchor=term.anchor)
    st.markdown(term.says)
