import streamlit as st

st.title("replay")
st.info("Being built.")
