"""See ../../README.md; this layer is being built."""
