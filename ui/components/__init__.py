"""Browser components: each one's Python beside the JS, HTML and CSS it loads from this folder."""
