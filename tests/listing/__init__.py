import pytest

# The shared checks live outside test modules: have pytest explain their failures too.
pytest.register_assert_rewrite("tests.listing.drive")
