"""Money: fees, tax, what an order was charged, its receipt, and the refund rule."""
