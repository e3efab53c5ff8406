import streamlit as st

st.title("reconstructions")
st.info("Being built.")
