"""Learn: placeholder until the guided lessons arrive; lists the sample stories."""

import streamlit as st

from ui import cached, page

slot = page.begin()
st.title("Learn")
st.info("Guided lessons are coming: a few steps on each sample book, with a question checked on the spot, "
        "a glossary and the methodology with formulas. Meanwhile, here are the stories the samples tell.")
stories = cached.safe(cached.sample_stories) or []
for sample in stories:
    st.markdown(f"**{sample['title']}**")
    st.caption(sample["story"])
st.caption("Pick any of them in the sidebar under “Start from”.")
page.end(slot)
