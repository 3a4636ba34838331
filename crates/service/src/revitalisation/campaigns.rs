//! Push campaigns (推送批次) of pool patents to enterprises.
