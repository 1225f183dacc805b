//! Renderings of a verdict: human, Markdown, GitHub annotations, JUnit XML.
