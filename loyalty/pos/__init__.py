"""The till: a browser POS on paired terminals, for the merchant's staff."""
