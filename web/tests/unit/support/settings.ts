/** The settings a spec starts from: the server's defaults with a company filled in. */
import type { SettingsView } from '@/api/types';

export const settingsFixture = (over: Partial<SettingsView> = {}): SettingsView => ({
  company: { name: '星河科技有限公司', address: '上海市浦东新区', phone: '021-12345678', tax_id: '', bank_name: '招商银行', bank_account: '6225 0000 1111', payment_note: '' },
  payment_terms_days: 15,
  suspend_after_days: 30,
  auto_issue_clean_bills: false,
  bill_trial_customers: false,
  usage_limits: { X: '5000', N: null, L: '1234.5' },
  usage_discard_closed: false,
  timezone: 'Asia/Shanghai',
  job_schedules: { 'bills.generate': '0 3 1 * *', 'usage.collect': '0 2 * * *' },
  reminder_days: [1, 7, 15, 30],
  notification_channels: { email: true, sms: true },
  notification_events: { bill_issued: true, bill_overdue: true, customer_suspended: true, payment_received: false, staff_digests: true },
  churn_drop_pct: 50,
  churn_idle_days: 15,
  contract_ending_days: 60,
  backup_keep: 14,
  ...over,
});
