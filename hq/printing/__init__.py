"""Card print orders: number ranges, print-ready PDFs, delivery estimates and reorder hints."""
