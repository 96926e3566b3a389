"""Model loading and runtimes shared by the features."""
