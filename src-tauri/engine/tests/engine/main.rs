//! The engine over a real SQLite store. `lifecycle` drives it with a scripted runtime (pure
//! logic: which calls arrive, which fail); `local` with the real runtime: runc containers on a
//! busybox image, as root.

mod fleet;
mod lifecycle;
mod local;
