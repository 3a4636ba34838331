//! Coverage (盘点覆盖情况) per institution, faculty and city, with the unrecorded list.
