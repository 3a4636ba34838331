//! Inventory records (盘点记录) and their review chain, alone or by xlsx import.
