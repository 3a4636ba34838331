//! Enterprise inquiries (企业咨询) and the institution's working-day response deadline.
