"""Business rules as plain async functions. Never imports strawberry or starlette."""
