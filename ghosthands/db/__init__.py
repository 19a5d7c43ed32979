"""PostgreSQL: connections, migrations, the embedded throwaway cluster."""
