"""Clinical knowledge as data, and the pure rules built on it (screening, plans, phases)."""
