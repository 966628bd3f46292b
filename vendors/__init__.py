"""Vendor catalogs: products, variants, typed attributes, categories, offers, prices per buyer, stock, imports."""
