"""Payment terms, credit limits, invoices and credit notes, payments (bank transfer, Stripe), ledger, dunning."""
