//! Transfer deals (转化交易) that take patents out of scope as converted.
