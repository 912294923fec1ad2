"""§ 47 SGB VIII reports: providers file them, the Landesjugendamt answers them."""
