"""Orchestra Lab."""
