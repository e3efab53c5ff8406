import streamlit as st

st.title("generate")
st.info("Being built.")
