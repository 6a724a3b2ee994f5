"""The database: engine and schema, migrations, and the queries each part of the bot runs."""
