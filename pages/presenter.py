import streamlit as st

st.title("presenter")
st.info("Being built.")
