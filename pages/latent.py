import streamlit as st

st.title("latent")
st.info("Being built.")
