"""The complaint domain: complaints, agencies, users and roles, and how the engine serves them."""
