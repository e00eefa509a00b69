//! The engine's lifecycle logic over a real SQLite store. The runtime here is a scripted test
//! double (pure logic: which calls arrive, which fail); the real runtime has its own tests.

mod lifecycle;
