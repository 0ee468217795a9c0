"""The operator's side in the public schema: merchants, contracts, licences, the console."""
