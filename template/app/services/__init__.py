"""Services: custom dependencies of handlers (declare them under providers: in khorsyio.yaml)."""
