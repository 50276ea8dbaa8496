"""Social networks: the X client factory, the sandbox X API, importers and reply delivery."""
