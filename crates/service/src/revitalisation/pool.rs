//! The transferable pool (可转化专利资源库): public browsing, 我有意向, feedback and tiers.
