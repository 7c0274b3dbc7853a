//! Integration tests of wingfield-conformance; see the modules below.
