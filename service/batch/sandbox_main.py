"""Entry point of a sandbox child (`python -m service.batch.sandbox_main`). Kept apart from
sandbox.py so that running it does not execute a module the package has already imported."""
from service.batch.sandbox import child_main

if __name__ == "__main__":
    child_main()
