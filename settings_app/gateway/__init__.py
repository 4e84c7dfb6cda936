"""The gateway: services call their LLM providers through keyvault and never hold a provider key."""
