import streamlit as st

st.title("rate_distortion")
st.info("Being built.")
