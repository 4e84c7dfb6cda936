"""What the app knows of the request in hand before any capability sees it: the client's
address by the trusted-proxy rule, and whether a signed-in session has been idle too long."""
