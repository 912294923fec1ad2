"""Full-text and Akten search with its database backends."""
