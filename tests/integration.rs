//! The one integration-test binary: starts the real app (or the real `charla` binary)
//! on port 0 with a temporary store, and talks to it over HTTP, the CLI and a browser.
mod it;
