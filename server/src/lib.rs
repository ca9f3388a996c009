//! qcos-server: placeholder until the server lands.
