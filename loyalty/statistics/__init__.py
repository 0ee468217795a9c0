"""The statistics: daily rollups of the ledger (rollups), and what the statistics page reads from
them (selectors)."""
