"""Storage: SQLModel tables, engines, transactions and batch reads. No business rules live here."""
