//! The runtime crate on its own: the simplestreams client against a real simplestreams tree
//! served over HTTP on 127.0.0.1.

mod simplestreams;
