"""Social networks: the X client factory and connector, importers and reply delivery.

The fake X API used by the demo and the tests lives outside the product, in sandboxes/x/."""
